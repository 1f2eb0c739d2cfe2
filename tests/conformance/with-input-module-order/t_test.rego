package p_test
import data.p
test_z if { data.p.z == {1} with input as {"k": {"v": 1}} }
test_z2 if { x := data.p.z with input as {"k": {"v": 1}}; x == {1} }
test_s if { p.s == {1} with input as {"k": {"v": 1}} }
test_zz if { p.z with input as {"k": {"v": 1}} }
