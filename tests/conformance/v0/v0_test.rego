package conformance.v0_test

is_admin(user) {
	user == "root"
}

deny_call {
	not is_admin(input.user)
}

violation[msg] {
	input.a
	msg := "a"
} {
	input.b
	msg := "b"
}

grade(x) = "one" {
	x == 1
} {
	x == 11
}

test_not_over_call_with_undefined_argument {
	not deny_call with input as {}
}

test_not_over_call_with_defined_argument {
	deny_call with input as {"user": "bob"}
}

test_several_bodies_set {
	violation == {"a", "b"} with input as {"a": true, "b": true}
}

test_several_bodies_function {
	grade(11) == "one"
}
