package p

import rego.v1

default allow := false

allow if {
	some x in input.items
	x.kind == "a"
	every y in x.tags { y != "" }
	not deny[x.id]
}

deny contains id if { id := input.blocked[_] }

f(x) := y if { y := x + 1 } else := 0

r := [v | some v in numbers.range(1, 3)]
o := {k: v | some k, v in {"a": 1}}
s := {1, 2} | {3}
