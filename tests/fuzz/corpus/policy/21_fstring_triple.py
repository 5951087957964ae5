s = f'''
{os.popen(
  'ls')}
'''
