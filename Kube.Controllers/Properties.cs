using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Kube.Controllers.Tests")]
