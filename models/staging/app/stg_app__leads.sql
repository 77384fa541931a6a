with

source as (

    select * from {{ source('app', 'Lead') }}

),

renamed as (

    select
        {{ adapter.quote('id') }} as lead_id,
        {{ adapter.quote('clientId') }} as workspace_id,
        cast({{ adapter.quote('createdAt') }} as {{ dbt.type_timestamp() }}) as created_at

    from source

)

select * from renamed
