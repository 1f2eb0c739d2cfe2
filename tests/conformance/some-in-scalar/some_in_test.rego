package conformance.some_in_test

# `some x in C` over a string, number, boolean or null iterates nothing, as
# `C[_]` does: OPA reads it so; regorus's interpreter stops with an error.
values := [c | some c in input.s]

pairs := [k | some k, _ in input.s]

counted := count([c | some c in input.n])

found if {
	some c in input.s
	c == "x"
}

test_over_a_string_nothing if values == [] with input as {"s": "xy"}

test_keys_over_a_string_nothing if pairs == [] with input as {"s": "xy"}

test_over_a_number_nothing if counted == 0 with input as {"n": 5}

test_over_null_nothing if values == [] with input as {"s": null}

test_a_body_over_a_string_fails if not found with input as {"s": "x"}

test_over_an_array_as_before if values == ["x", "y"] with input as {"s": ["x", "y"]}

test_over_an_object_as_before if pairs == ["a"] with input as {"s": {"a": 1}}

test_over_a_set_as_before if found with input as {"s": {"x"}}
