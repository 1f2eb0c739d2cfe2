package frontend.v0_imports

r := 1

# OPA takes an import anywhere at the top level.
import data.frontend.v0

test_import_after_a_rule {
	v0.f(3) == {"a": 3}
	r == 1
}
