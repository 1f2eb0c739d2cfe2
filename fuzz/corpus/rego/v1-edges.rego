package p

f("a")
p if { true } { false }
q := 1
(q)
t if { not f(input.user) }
