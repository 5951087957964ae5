os.system('id')
x = '''never closed
