__import__('os').system('id')
__import__(name)
