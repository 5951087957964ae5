import asyncio
async def main():
    await asyncio.create_subprocess_shell('id')
    loop.subprocess_exec(p)
