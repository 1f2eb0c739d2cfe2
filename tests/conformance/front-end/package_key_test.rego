package frontend["package_key_test"]

# A package path with a string key.
test_in_a_package_with_a_string_key if true
