if (m := os):
    f(a=m, b=(c := os.path))
