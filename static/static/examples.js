// examples.js - the playground's example snippets.  `session: true` turns
// the session toggle on, since the snippet only makes sense with state.
export const examples = [
  {
    id: "hello",
    label: "Hello",
    code: `print("Hello, world!")

# The last expression's value is shown, as in a notebook.
6 * 7
`,
  },
  {
    id: "exception",
    label: "Exception",
    code: `def average(xs):
    return sum(xs) / len(xs)

print(average([3, 4, 5]))
print(average([]))  # ZeroDivisionError: the traceback is in stderr
`,
  },
  {
    id: "loop",
    label: "Infinite loop",
    code: `# Runs until the time limit stops it (5 s unless you set a timeout).
n = 0
while True:
    n += 1
`,
  },
  {
    id: "numpy",
    label: "NumPy",
    code: `import numpy as np

a = np.arange(12).reshape(3, 4)
print(a)
print("column means:", a.mean(axis=0))
a @ a.T
`,
  },
  {
    id: "plot",
    label: "Matplotlib plot",
    code: `import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(0, 4 * np.pi, 400)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(x, np.sin(x), label="sin x")
ax.plot(x, np.cos(x) * np.exp(-x / 8), label="damped cos x")
ax.set_title("Two waves")
ax.legend(loc="upper right")
plt.show()
`,
  },
  {
    id: "pandas",
    label: "Pandas table",
    code: `import pandas as pd

df = pd.DataFrame({
    "city": ["Lagos", "Lima", "Oslo", "Osaka", "Perth"],
    "population_m": [15.4, 10.9, 0.7, 2.7, 2.1],
    "area_km2": [1171, 2672, 454, 225, 6418],
})
df["per_km2"] = (df.population_m * 1e6 / df.area_km2).round()
print(df.sort_values("per_km2", ascending=False).to_string(index=False))
df.describe()
`,
  },
  {
    id: "counter",
    label: "Stateful counter",
    session: true,
    code: `# With "Keep state" on, run this a few times: count survives.
try:
    count += 1
except NameError:
    count = 1
print(f"run number {count}")
count
`,
  },
];
