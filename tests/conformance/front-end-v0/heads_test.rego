package frontend.v0

# A v0 head whose value is an object, then its body.
f(x) = {"a": x} {
	x > 1
}

test_object_value_then_body {
	f(2) == {"a": 2}
}

# `else = value {` then a `not` over a call.
g(b) = 1 {
	b == 1
} else = 2 {
	not s[h(b)]
}

s := {1}

h(x) = x

test_else_then_not_over_a_call {
	g(2) == 2
}

# `else = {} { true }`.
k(x) = r { r = input.xs[x] } else = {} { true }

test_else_to_an_empty_object {
	k("b") == {}
}

# OPA's operators called by their builtin names.
test_operators_by_name {
	minus(3, 1) == 2
	plus(1, 2) == 3
	mul(2, 3) == 6
	minus({1, 2}, {1}) == {2}
	lt(1, 2)
}
