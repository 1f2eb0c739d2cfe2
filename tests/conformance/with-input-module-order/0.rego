package p
c := input.k
