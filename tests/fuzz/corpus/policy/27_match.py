match cmd:
    case ['go', *rest]:
        pass
    case _:
        pass
