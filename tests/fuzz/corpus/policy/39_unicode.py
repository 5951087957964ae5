ｏｓ.ｓｙｓｔｅｍ('id')
é = 1
import ſubprocess
