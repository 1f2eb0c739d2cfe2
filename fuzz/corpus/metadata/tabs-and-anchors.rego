package p
# METADATA
# title: &a x
# description: *a
#	custom: 1
# entrypoint: true
# entrypoint: false
r := 1
