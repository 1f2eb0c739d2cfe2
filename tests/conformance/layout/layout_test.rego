package conformance.layout_test

# 1. A function rule with no body is true for its arguments (OPA v1).
allowed_region("ap-south-1")

allowed_pair("a", _)

test_bodiless_function if {
	allowed_region("ap-south-1")
	allowed_pair("a", "anything")
	not allowed_region("us-east-1")
}

# 3. Several bodies for one head: one rule per body.
violation contains msg if {
	input.a
	msg := "a"
} {
	input.b
	msg := "b"
}

grade(x) := "one" if { x == 1 } { x == 11 }

test_several_bodies_set if {
	violation == {"a", "b"} with input as {"a": true, "b": true}
	violation == {"b"} with input as {"b": true}
}

test_several_bodies_function if {
	grade(1) == "one"
	grade(11) == "one"
	not grade(2)
}

# 4. A line starting with `(` after a ref is a new expression.
spread_ok if {
	input.min_spread
	(input.max - input.min) >= input.min_spread
}

test_paren_line if {
	spread_ok with input as {"min_spread": 2, "max": 10, "min": 5}
	not spread_ok with input as {"min_spread": 9, "max": 10, "min": 5}
}
