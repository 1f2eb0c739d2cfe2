package conformance.builtins_test

# OPA: a verb without an argument prints %!v(MISSING), as Go's fmt does.
test_sprintf_missing_argument if {
	sprintf("%v %v", [1]) == "1 %!v(MISSING)"
}

test_sprintf_missing_typed_verb if {
	sprintf("%s has %d", ["x"]) == "x has %!d(MISSING)"
}

test_sprintf_enough_arguments if {
	sprintf("%v-%v", [1, "a"]) == "1-a"
}

# OPA: a path with a leading slash is the same path.
test_json_remove_leading_slash if {
	json.remove({"a": {"b": 1, "c": 2}}, ["/a/b"]) == {"a": {"c": 2}}
}

test_json_filter_leading_slash if {
	json.filter({"a": {"b": 1, "c": 2}, "d": 3}, ["/a/b"]) == {"a": {"b": 1}}
}
