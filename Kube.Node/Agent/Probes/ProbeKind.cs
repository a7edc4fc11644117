namespace Kube.Node.Agent.Probes;

/// <summary>The three kinds of container probes.</summary>
internal enum ProbeKind
{
    Startup,
    Readiness,
    Liveness,
}
