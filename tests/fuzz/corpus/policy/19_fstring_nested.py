f'{f"{f'{x}'}"}' + f'{{}}' + rf'\N{x}' + f'\N{BULLET}'
