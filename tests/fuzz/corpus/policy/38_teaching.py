import numpy as np
import matplotlib.pyplot as plt
xs = np.linspace(0, 1, 50)
plt.plot(xs, np.sin(xs))
plt.title(f'sin {len(xs)} points')
plt.show()
