namespace Kube.Core.Admission;

/// <summary>The operation under admission, as admission.k8s.io/v1 names it.</summary>
public enum AdmissionOperation { Create, Update, Delete, Connect }
