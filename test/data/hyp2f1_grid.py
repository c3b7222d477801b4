#!/usr/bin/env python3
"""Reference values of the Gauss hypergeometric function 2F1(a, b; c; z) for
test/sql/hyp2f1_grid.sql, computed with mpmath's hyp2f1 at 40 and 60
significant digits and confirmed by a second method (the Gauss
series, after Pfaff's transformation for z < 0, or Euler's integral by
mpmath.quad, at 30 digits): a point where these differ by more than 1e-25 (the two
precisions) or 1e-20 (the two methods) is dropped, and so is one where no
second method applies.

Three kinds of points (column `kind`):
  model    the arguments the BG/NBD and MBG/NBD expectations pass (bgnbd.c):
           for random parameters (r, alpha, a, b), histories (x, t_x, t) and
           horizons h, with the posterior A = r + x, B = b + m (m = x, or
           x + 1 for MBG/NBD), C = a + B - 1, z = h / (alpha + t + h), both
           2F1(A, B; C; z) and its Euler form 2F1(C - A, a - 1; C; z), when
           the value is within the range of float8;
  issue    the audit's grid of issue 15 (a = 2.243, b from 50 to 207, z from
           0.7 to 0.97);
  general  a grid of a, b, c in [-7.5, 300] and z in [-50, 0.9999], where
           custseg.hyp2f1 must be right to 1e-12 or refuse (22003).

The arguments are written with 17 significant digits, so that float8 reads
back the very double that mpmath evaluated.

Usage: python3 test/data/hyp2f1_grid.py > test/data/hyp2f1_grid.csv
or in parts, in this order, concatenated: python3 test/data/hyp2f1_grid.py
issue (with the header), ... model, ... general.  Points are printed as
they come; the general grid is taken in a random (seeded) order, so that
its first GENERAL_POINTS points are a sample of the whole grid.
(installs Debian's python3-mpmath when it is missing; deterministic: seed 15)
"""
import math
import random
import subprocess
import sys

try:
    import mpmath
except ImportError:
    subprocess.run(["sudo", "apt-get", "install", "-y", "-qq", "python3-mpmath"], check=True)
    import mpmath

from mpmath import mp, mpf


def series(a, b, c, z, max_terms=6000):
    """The Gauss series at the current precision, or None (too slow, or too
    much cancellation)."""
    a, b, c, z = mpf(a), mpf(b), mpf(c), mpf(z)
    term = mpf(1)
    total = mpf(1)
    biggest = mpf(1)
    k = 0
    while k < max_terms:
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        biggest = max(biggest, abs(term))
        k += 1
        if term == 0:
            break
        if k > abs(a) + abs(b) + abs(c) and abs(term) < mpf(10) ** -(mp.dps + 5) * abs(total):
            ratio = abs((a + k) * (b + k) / ((c + k) * (k + 1)) * z)
            if ratio < mpf("0.999"):
                break
    else:
        return None
    if total == 0 or biggest / abs(total) > mpf(10) ** (mp.dps - 30):
        return None
    return total


def independent(a, b, c, z):
    """2F1 by a second method: the Gauss series (after Pfaff's
    transformation when z < 0), else Euler's integral by mpmath.quad, at 30
    digits."""
    mp.dps = 30
    if z < 0:
        w = mpf(z) / (mpf(z) - 1)
        v = series(a, c - b, c, w)
        if v is not None:
            return (1 - mpf(z)) ** (-mpf(a)) * v
    else:
        v = series(a, b, c, z)
        if v is not None:
            return v
    for (p, q) in ((a, b), (b, a)):
        if c > q > 0:
            p, q, cc, zz = mpf(p), mpf(q), mpf(c), mpf(z)
            f = lambda t: t ** (q - 1) * (1 - t) ** (cc - q - 1) * (1 - zz * t) ** (-p)
            pts = [0, mpf(1) / 2, 1 - (1 - zz) * 1000, 1 - (1 - zz) * 10, 1 - (1 - zz) / 10, 1]
            pts = sorted(set(x for x in pts if 0 <= x <= 1))
            return mpmath.quad(f, pts, maxdegree=6) / mpmath.beta(q, cc - q)
    return None


def reference(a, b, c, z):
    """mpmath's hyp2f1 at 40 and 60 digits, confirmed by a second method
    (mpmath's hyp2f1 was seen to return -1.8e229 for a sum of positive terms
    that is 1.0017); None when they disagree or the value is out of range."""
    try:
        mp.dps = 40
        v40 = mpmath.hyp2f1(mpf(a), mpf(b), mpf(c), mpf(z), maxterms=10**7)
        mp.dps = 60
        v60 = mpmath.hyp2f1(mpf(a), mpf(b), mpf(c), mpf(z), maxterms=10**7)
        check = independent(a, b, c, z)
    except (ValueError, ZeroDivisionError, mpmath.libmp.NoConvergence):
        return None
    mp.dps = 60
    if v60 == 0 or abs(v40 / v60 - 1) > mpf("1e-25"):
        return None
    if check is None or abs(check / v60 - 1) > mpf("1e-20"):
        DROPPED[0] += 1
        return None
    if not (mpf("1e-300") < abs(v60) < mpf("1e300")):
        return None
    return mpmath.nstr(v60, 25, min_fixed=-1, max_fixed=-1)


DROPPED = [0]
MODEL_POINTS = 1200
GENERAL_POINTS = 1840


def loguniform(rng, lo, hi):
    return 10 ** rng.uniform(math.log10(lo), math.log10(hi))


def emit(kind, args, v):
    print("%s,%r,%r,%r,%r,%s" % ((kind,) + tuple(args) + (v,)), flush=True)


def model_points(rng, n):
    """n points, printed as they come."""
    count = 0
    while count < n:
        r = loguniform(rng, 1e-3, 50)
        alpha = loguniform(rng, 0.01, 1000)
        a = loguniform(rng, 0.01, 1e4)
        b = loguniform(rng, 0.01, 1e4)
        mbg = rng.random() < 0.5
        if rng.random() < 0.2:
            x, t = 0, 0.0
        else:
            x = int(loguniform(rng, 1, 300)) - 1
            t = loguniform(rng, 1, 2000)
        h = loguniform(rng, 0.1, 36500)
        m = x + 1 if mbg else x
        A = r + x
        B = b + m
        C = a + B - 1
        z = h / (alpha + t + h)
        if C <= 0 and C == int(C):
            continue
        for args in ((A, B, C, z), (C - A, a - 1, C, z)):
            if count >= n:
                break
            v = reference(*args)
            if v is not None:
                emit("model", args, v)
                count += 1


def issue_points():
    for b in (50.0, 80.0, 120.0, 160.0, 207.0):
        for c in (b + 2.0, b + 52.0, 2 * b):
            for z in (0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97):
                v = reference(2.243, b, c, z)
                if v is not None:
                    emit("issue", (2.243, b, c, z), v)


def general_points(rng, n):
    """The first n points of the grid, in a random order, that have a
    reference."""
    avals = (-7.5, -2.0, -0.5, 0.25, 1.0, 2.243, 10.0, 50.5, 300.0)
    bvals = (-3.25, 0.5, 1.0, 5.0, 50.0, 207.0)
    cvals = (-2.5, 0.75, 1.5, 6.0, 60.0, 259.0)
    zvals = (-50.0, -3.0, -0.9, -0.3, 0.1, 0.5, 0.75, 0.85, 0.95, 0.99, 0.9999)
    grid = [(a, b, c, z) for a in avals for b in bvals for c in cvals for z in zvals]
    rng.shuffle(grid)
    count = 0
    for args in grid:
        if count >= n:
            break
        v = reference(*args)
        if v is not None:
            emit("general", args, v)
            count += 1


def main():
    parts = sys.argv[1:] or ["issue", "model", "general"]
    if "issue" in parts:
        print("kind,a,b,c,z,reference", flush=True)
        issue_points()
    if "model" in parts:
        model_points(random.Random(15), MODEL_POINTS)
    if "general" in parts:
        general_points(random.Random(16), GENERAL_POINTS)
    print("%d dropped: no second method agreed with mpmath.hyp2f1" % DROPPED[0],
          file=sys.stderr)


if __name__ == "__main__":
    main()
