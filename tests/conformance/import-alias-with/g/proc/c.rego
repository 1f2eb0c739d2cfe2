package g.proc

unknown contains 1 if {
	not known
}

pos contains 1 if {
	known
}

unknown_b contains 1 if {
	not known_b
}

unknown_c contains 1 if {
	known == false
}


