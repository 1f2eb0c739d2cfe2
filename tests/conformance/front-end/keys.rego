package frontend.keys["a-b"]

allow := true
