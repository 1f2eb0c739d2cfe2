package conformance.negation_test

is_admin(user) if user == "root"

deny_call if not is_admin(input.user)

deny_builtin if not startswith(input.x, "a")

deny_in if not input.status in {"granted"}

deny_neq if not input.status != "granted"

deny_count if not count(input.xs) > 0

obj := {"a": 1}

deny_index if not obj[input.key]

# `==` is not rewritten: a missing operand leaves `not` true.
deny_eq if not input.status == "granted"

deny_bare if not input.user

test_call_argument_undefined if not deny_call with input as {}

test_call_argument_defined if deny_call with input as {"user": "bob"}

test_builtin_argument_undefined if not deny_builtin with input as {}

test_membership_undefined if not deny_in with input as {}

test_membership_defined if deny_in with input as {"status": "pending"}

test_not_equal_undefined if not deny_neq with input as {}

test_nested_call_undefined if not deny_count with input as {}

test_index_undefined if not deny_index with input as {}

test_equality_stays_true if deny_eq with input as {}

test_bare_ref_stays_true if deny_bare with input as {}
