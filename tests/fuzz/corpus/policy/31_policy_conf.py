include defaults
allow-module subprocess
call os.exec*
attribute __dict__
import-function my.load
module a.b
