"""Uses vecmath the way its author's tests would (debug/real/vecmath/vecmath.c)."""
import vecmath

v = vecmath.Vec([3.0, 4.0])
assert v.norm() == 5.0 and len(v) == 2 and v[1] == 4.0
w = v.scaled(2)
assert w.tolist() == [6.0, 8.0]
assert vecmath.dot(v, w) == 50.0
xs = vecmath.linspace(0.0, 1.0, 11)
assert len(xs) == 11 and abs(xs[10] - 1.0) < 1e-12
print(repr(xs)[:40])
h = vecmath.histogram([0.1, 0.2, 0.25, 0.9, 0.95, 0.5], 4)
assert sum(h.values()) == 6, h
print("vec", v, "hist", sorted(h.items()))
