package g.proc

zzz := 1
