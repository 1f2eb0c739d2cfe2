package p

r0 := 1
r1 := r0 + 1
r2 := r1 + 1
r3 := [x | some x in [r2]]
f(a) := g(a)
g(a) := a
