os.\
    system('id')
x = (1 +
     2)
