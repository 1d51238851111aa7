#ifndef LATENT_CMPI_SHIM_H
#define LATENT_CMPI_SHIM_H
// The MPI calls of data-parallel training, as Open MPI (3.x, 4.x, 5.x; libmpi.so.40) defines them.
//
// Open MPI's handles (MPI_Comm, MPI_Datatype, MPI_Op, MPI_Request) are pointers: MPI_COMM_WORLD is
// the address of the global `ompi_mpi_comm_world`, MPI_FLOAT of `ompi_mpi_float`, MPI_SUM of
// `ompi_mpi_op_sum`, resolved with dlsym. MPI_STATUS_IGNORE is NULL. (MPICH and its derivatives use
// 32-bit integer handles with fixed values and MPI_STATUS_IGNORE = (MPI_Status *)1 instead; see the
// README's MPI section.)

typedef void *LatentMPIHandle;

typedef int (*LatentMPIInitialized)(int *flag);
typedef int (*LatentMPIInit)(int *argc, char ***argv);
typedef int (*LatentMPIFinalize)(void);
typedef int (*LatentMPICommRank)(LatentMPIHandle comm, int *rank);
typedef int (*LatentMPICommSize)(LatentMPIHandle comm, int *size);
typedef int (*LatentMPIIallreduce)(const void *sendbuf, void *recvbuf, int count, LatentMPIHandle datatype,
                                   LatentMPIHandle op, LatentMPIHandle comm, LatentMPIHandle *request);
typedef int (*LatentMPIIbcast)(void *buffer, int count, LatentMPIHandle datatype, int root,
                               LatentMPIHandle comm, LatentMPIHandle *request);
typedef int (*LatentMPITest)(LatentMPIHandle *request, int *flag, void *status);
typedef int (*LatentMPIAbort)(LatentMPIHandle comm, int errorcode);

#endif
