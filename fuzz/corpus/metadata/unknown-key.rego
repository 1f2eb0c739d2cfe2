package p

# METADATA
# titel: typo
# related_resources:
#   - ref: x
#     description: "y"
r := 1

# METADATA

r2 := 2
