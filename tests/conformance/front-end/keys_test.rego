package frontend.keys_test

# An alias of a reference with a string key.
import data.frontend.keys["a-b"] as rule

test_alias_with_a_string_key if rule.allow
