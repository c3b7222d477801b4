#!/usr/bin/env python3
"""Brute-force BG/BB discounted expected purchases, for test/sql/bgbb_clv.sql.

Independent of src/bgbb.c: no likelihood formula, no survival sum.  For a
customer who bought at x of n opportunities, the last at t_x (here at the
opportunities t_x - x + 1 .. t_x), it enumerates every death time T (alive
at opportunities 1 .. T) and every purchase sequence over the horizon
opportunities n + 1 .. n + h the customer is alive for, weights each by its
exact Beta moments

    P(T = t) = E[theta (1 - theta)^t] = B(gamma + 1, delta + t) / B(gamma, delta)
    P(alive through N) = E[(1 - theta)^N] = B(gamma, delta + N) / B(gamma, delta)
    P(k buys, l non-buys) = E[p^k (1 - p)^l] = B(alpha + k, beta + l) / B(alpha, beta)

and prints E[sum over future buys at n + i of (1 + r)^-i | history] to 12
decimals (mpmath, 40 digits).  With "inf", it prints instead the infinite
horizon sum by the hypergeometric closed form
    E[p; alive at n | history] * (2F1(1, delta + n; gamma + delta + n; 1 / (1 + r)) - 1).

usage: bgbb_clv_brute_force.py alpha beta gamma delta x t_x n h r
"""
import itertools
import sys

import mpmath as mp

mp.mp.dps = 40


def beta(a, b):
    return mp.beta(a, b)


def main():
    a, b, g, d = (mp.mpf(s) for s in sys.argv[1:5])
    x, t_x, n = (int(s) for s in sys.argv[5:8])
    r = mp.mpf(sys.argv[9])
    v = 1 / (1 + r)
    bab, bgd = beta(a, b), beta(g, d)

    if sys.argv[8] == "inf":
        # P(history) by the death time, then E[p; alive at n] / P(history)
        ph = mp.mpf(0)
        for t in range(t_x, n + 1):
            pt = beta(g + 1, d + t) / bgd if t < n else beta(g, d + n) / bgd
            ph += pt * beta(a + x, b + t - x) / bab
        w = beta(a + x + 1, b + n - x) / bab * beta(g, d + n) / bgd / ph
        print(mp.nstr(w * (mp.hyp2f1(1, d + n, g + d + n, v) - 1), 15))
        return

    h = int(sys.argv[8])
    total = n + h
    num = mp.mpf(0)
    den = mp.mpf(0)
    for t in range(t_x, total + 1):
        pt = beta(g + 1, d + t) / bgd if t < total else beta(g, d + total) / bgd
        alive_future = max(0, t - n)
        seen = min(t, n)			# observed opportunities alive: no buy after t_x
        for seq in itertools.product((0, 1), repeat=alive_future):
            k = x + sum(seq)
            l = seen + alive_future - k
            p = pt * beta(a + k, b + l) / bab
            den += p
            num += p * sum(v ** (i + 1) for i, s in enumerate(seq) if s)
    # den sums every death time and future sequence: it is P(history)
    print(mp.nstr(num / den, 15))


main()
