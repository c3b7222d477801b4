#!/usr/bin/env python3
"""Reference values of test/sql/model_properties.sql (python3-mpmath, 30 digits).

As r -> 0, a new BG/NBD customer's expected purchases E_new(t) divided by r
tend to E_p[log(1 + p t / alpha) / p] for p ~ Beta(a, b) (the purchase
rate's Gamma(r, alpha) mixing of 1 - exp(-lambda p t) gives
1 - (1 + p t / alpha)^-r, which is r log(1 + p t / alpha) to first order).
The integral is taken by mpmath's tanh-sinh quadrature, independently of
custseg's series.
"""
import mpmath as mp

mp.mp.dps = 30


def e1(a, b, alpha, t):
    tau = mp.mpf(t) / alpha
    f = lambda p: mp.log1p(p * tau) / p * p ** (a - 1) * (1 - p) ** (b - 1)
    return mp.quad(f, [0, 1 / (10 * tau), mp.mpf('0.01'), mp.mpf('0.1'), 1]) / mp.beta(a, b)


for a, b, t in [('0.793', '2.426', 365), ('0.793', '207', 365), ('3.5', '207', 365),
                ('2.243', '207', 30), ('3.5', '207', 10 ** 6), ('0.793', '2.426', 10 ** 6)]:
    print(f"({a}, {b}, {t}, {mp.nstr(e1(mp.mpf(a), mp.mpf(b), mp.mpf('4.414'), t), 17)}),")
