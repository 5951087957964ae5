from os import (
    path,
    system as run,
)
run('id')
