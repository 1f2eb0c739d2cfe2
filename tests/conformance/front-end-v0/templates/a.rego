package frontend.templates.a

deny["a is set"] {
	input.a
}
