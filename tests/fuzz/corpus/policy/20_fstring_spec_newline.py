f'{x:abc
}'
