package frontend.templates.a_test

test_a_through_main {
	data.frontend.main.denies("a") == {"a is set"} with input as {"a": true}
}
