package p
z := s
