x = $y ? `z`
