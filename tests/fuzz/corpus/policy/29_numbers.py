x = [1_000, 0x_ff, 0o17, 0b1_0, 1e-3j, .5, 1., 1.e5, 0_0, 1if y else 0x1for z in w]
