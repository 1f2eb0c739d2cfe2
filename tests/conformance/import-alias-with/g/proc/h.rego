package g.proc

known if input.m == "a"

known_b := input.m == "a"
