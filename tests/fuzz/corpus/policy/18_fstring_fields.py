f"{x:{width}.{prec}} {d["k"]!r} {os.system('id')}"
