using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Kube.Scheduling.Tests")]
