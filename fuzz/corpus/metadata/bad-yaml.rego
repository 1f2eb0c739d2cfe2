package p

# METADATA
# title: [unclosed
# custom: {
r := 1
