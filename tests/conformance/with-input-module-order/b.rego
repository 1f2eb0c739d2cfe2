package p
s contains 1 if c.v == 1
