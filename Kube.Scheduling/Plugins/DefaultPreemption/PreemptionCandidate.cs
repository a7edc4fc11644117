using k8s.Models;

namespace Kube.Scheduling.Plugins.DefaultPreemption;

/// <summary>A node where the preemptor fits once <see cref="Victims"/> are gone; <see cref="NumPdbViolations"/> of them break a PodDisruptionBudget.</summary>
public sealed record PreemptionCandidate(string NodeName, IReadOnlyList<V1Pod> Victims, int NumPdbViolations);
