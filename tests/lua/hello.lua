-- The host program runs a script and passes it its options.
assert(arg[0]:match("hello%.lua$"), "arg[0] is the script")
assert(arg[1] == "--epochs" and arg[2] == "3", "script options arrive in arg")
print("hello from " .. _VERSION)
