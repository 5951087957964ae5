@os.system
@functools.wraps(f)
async def f(*a, **k) -> None:
    yield from g
